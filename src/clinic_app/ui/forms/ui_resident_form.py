# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'resident_form.ui'
##
## Created by: Qt User Interface Compiler version 6.11.3
##
## WARNING! All changes made in this file will be lost when recompiling UI file!
################################################################################

from PySide6.QtCore import (QCoreApplication, QDate, QDateTime, QLocale,
    QMetaObject, QObject, QPoint, QRect,
    QSize, QTime, QUrl, Qt)
from PySide6.QtGui import (QBrush, QColor, QConicalGradient, QCursor,
    QFont, QFontDatabase, QGradient, QIcon,
    QImage, QKeySequence, QLinearGradient, QPainter,
    QPalette, QPixmap, QRadialGradient, QTransform)
from PySide6.QtWidgets import (QApplication, QComboBox, QFormLayout, QHBoxLayout,
    QLabel, QLineEdit, QPushButton, QSizePolicy,
    QSpacerItem, QVBoxLayout, QWidget)

class Ui_ResidentForm(object):
    def setupUi(self, ResidentForm):
        if not ResidentForm.objectName():
            ResidentForm.setObjectName(u"ResidentForm")
        self.outerLayout = QVBoxLayout(ResidentForm)
        self.outerLayout.setObjectName(u"outerLayout")
        self.outerLayout.setContentsMargins(0, 0, 0, 0)
        self.form = QFormLayout()
        self.form.setObjectName(u"form")
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.nameLabel = QLabel(ResidentForm)
        self.nameLabel.setObjectName(u"nameLabel")

        self.form.setWidget(0, QFormLayout.ItemRole.LabelRole, self.nameLabel)

        self.nameEdit = QLineEdit(ResidentForm)
        self.nameEdit.setObjectName(u"nameEdit")
        self.nameEdit.setMaxLength(30)

        self.form.setWidget(0, QFormLayout.ItemRole.FieldRole, self.nameEdit)

        self.idLabel = QLabel(ResidentForm)
        self.idLabel.setObjectName(u"idLabel")

        self.form.setWidget(1, QFormLayout.ItemRole.LabelRole, self.idLabel)

        self.idEdit = QLineEdit(ResidentForm)
        self.idEdit.setObjectName(u"idEdit")
        self.idEdit.setMaxLength(24)

        self.form.setWidget(1, QFormLayout.ItemRole.FieldRole, self.idEdit)

        self.idInfo = QLabel(ResidentForm)
        self.idInfo.setObjectName(u"idInfo")
        self.idInfo.setWordWrap(True)

        self.form.setWidget(2, QFormLayout.ItemRole.FieldRole, self.idInfo)

        self.sexLabel = QLabel(ResidentForm)
        self.sexLabel.setObjectName(u"sexLabel")

        self.form.setWidget(3, QFormLayout.ItemRole.LabelRole, self.sexLabel)

        self.sexCombo = QComboBox(ResidentForm)
        self.sexCombo.setObjectName(u"sexCombo")

        self.form.setWidget(3, QFormLayout.ItemRole.FieldRole, self.sexCombo)

        self.birthLabel = QLabel(ResidentForm)
        self.birthLabel.setObjectName(u"birthLabel")

        self.form.setWidget(4, QFormLayout.ItemRole.LabelRole, self.birthLabel)

        self.birthEdit = QLineEdit(ResidentForm)
        self.birthEdit.setObjectName(u"birthEdit")
        self.birthEdit.setMaxLength(10)

        self.form.setWidget(4, QFormLayout.ItemRole.FieldRole, self.birthEdit)

        self.phoneLabel = QLabel(ResidentForm)
        self.phoneLabel.setObjectName(u"phoneLabel")

        self.form.setWidget(5, QFormLayout.ItemRole.LabelRole, self.phoneLabel)

        self.phoneEdit = QLineEdit(ResidentForm)
        self.phoneEdit.setObjectName(u"phoneEdit")
        self.phoneEdit.setMaxLength(20)

        self.form.setWidget(5, QFormLayout.ItemRole.FieldRole, self.phoneEdit)

        self.ethnicityLabel = QLabel(ResidentForm)
        self.ethnicityLabel.setObjectName(u"ethnicityLabel")

        self.form.setWidget(6, QFormLayout.ItemRole.LabelRole, self.ethnicityLabel)

        self.ethnicityEdit = QLineEdit(ResidentForm)
        self.ethnicityEdit.setObjectName(u"ethnicityEdit")
        self.ethnicityEdit.setMaxLength(10)

        self.form.setWidget(6, QFormLayout.ItemRole.FieldRole, self.ethnicityEdit)

        self.categoryLabel = QLabel(ResidentForm)
        self.categoryLabel.setObjectName(u"categoryLabel")

        self.form.setWidget(7, QFormLayout.ItemRole.LabelRole, self.categoryLabel)

        self.categoryCombo = QComboBox(ResidentForm)
        self.categoryCombo.setObjectName(u"categoryCombo")

        self.form.setWidget(7, QFormLayout.ItemRole.FieldRole, self.categoryCombo)

        self.povertyStatusLabel = QLabel(ResidentForm)
        self.povertyStatusLabel.setObjectName(u"povertyStatusLabel")

        self.form.setWidget(8, QFormLayout.ItemRole.LabelRole, self.povertyStatusLabel)

        self.povertyStatusCombo = QComboBox(ResidentForm)
        self.povertyStatusCombo.setObjectName(u"povertyStatusCombo")

        self.form.setWidget(8, QFormLayout.ItemRole.FieldRole, self.povertyStatusCombo)

        self.insuranceLabel = QLabel(ResidentForm)
        self.insuranceLabel.setObjectName(u"insuranceLabel")

        self.form.setWidget(9, QFormLayout.ItemRole.LabelRole, self.insuranceLabel)

        self.insuranceCombo = QComboBox(ResidentForm)
        self.insuranceCombo.setObjectName(u"insuranceCombo")

        self.form.setWidget(9, QFormLayout.ItemRole.FieldRole, self.insuranceCombo)

        self.insuranceNoLabel = QLabel(ResidentForm)
        self.insuranceNoLabel.setObjectName(u"insuranceNoLabel")

        self.form.setWidget(10, QFormLayout.ItemRole.LabelRole, self.insuranceNoLabel)

        self.insuranceNoEdit = QLineEdit(ResidentForm)
        self.insuranceNoEdit.setObjectName(u"insuranceNoEdit")
        self.insuranceNoEdit.setMaxLength(30)

        self.form.setWidget(10, QFormLayout.ItemRole.FieldRole, self.insuranceNoEdit)

        self.disabilityLabel = QLabel(ResidentForm)
        self.disabilityLabel.setObjectName(u"disabilityLabel")

        self.form.setWidget(11, QFormLayout.ItemRole.LabelRole, self.disabilityLabel)

        self.disabilityCombo = QComboBox(ResidentForm)
        self.disabilityCombo.setObjectName(u"disabilityCombo")

        self.form.setWidget(11, QFormLayout.ItemRole.FieldRole, self.disabilityCombo)

        self.disabilityGradeLabel = QLabel(ResidentForm)
        self.disabilityGradeLabel.setObjectName(u"disabilityGradeLabel")

        self.form.setWidget(12, QFormLayout.ItemRole.LabelRole, self.disabilityGradeLabel)

        self.disabilityGradeEdit = QLineEdit(ResidentForm)
        self.disabilityGradeEdit.setObjectName(u"disabilityGradeEdit")
        self.disabilityGradeEdit.setMaxLength(10)

        self.form.setWidget(12, QFormLayout.ItemRole.FieldRole, self.disabilityGradeEdit)

        self.batchLabel = QLabel(ResidentForm)
        self.batchLabel.setObjectName(u"batchLabel")

        self.form.setWidget(13, QFormLayout.ItemRole.LabelRole, self.batchLabel)

        self.batchCombo = QComboBox(ResidentForm)
        self.batchCombo.setObjectName(u"batchCombo")

        self.form.setWidget(13, QFormLayout.ItemRole.FieldRole, self.batchCombo)

        self.notesLabel = QLabel(ResidentForm)
        self.notesLabel.setObjectName(u"notesLabel")

        self.form.setWidget(14, QFormLayout.ItemRole.LabelRole, self.notesLabel)

        self.notesEdit = QLineEdit(ResidentForm)
        self.notesEdit.setObjectName(u"notesEdit")
        self.notesEdit.setMaxLength(200)

        self.form.setWidget(14, QFormLayout.ItemRole.FieldRole, self.notesEdit)


        self.outerLayout.addLayout(self.form)

        self.errorLabel = QLabel(ResidentForm)
        self.errorLabel.setObjectName(u"errorLabel")
        self.errorLabel.setWordWrap(True)
        self.errorLabel.setTextFormat(Qt.TextFormat.RichText)

        self.outerLayout.addWidget(self.errorLabel)

        self.buttons = QHBoxLayout()
        self.buttons.setObjectName(u"buttons")
        self.buttonSpacer = QSpacerItem(0, 0, QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

        self.buttons.addItem(self.buttonSpacer)

        self.revertButton = QPushButton(ResidentForm)
        self.revertButton.setObjectName(u"revertButton")

        self.buttons.addWidget(self.revertButton)

        self.saveButton = QPushButton(ResidentForm)
        self.saveButton.setObjectName(u"saveButton")

        self.buttons.addWidget(self.saveButton)


        self.outerLayout.addLayout(self.buttons)

#if QT_CONFIG(shortcut)
        self.nameLabel.setBuddy(self.nameEdit)
        self.idLabel.setBuddy(self.idEdit)
        self.sexLabel.setBuddy(self.sexCombo)
        self.birthLabel.setBuddy(self.birthEdit)
        self.phoneLabel.setBuddy(self.phoneEdit)
        self.ethnicityLabel.setBuddy(self.ethnicityEdit)
        self.categoryLabel.setBuddy(self.categoryCombo)
        self.povertyStatusLabel.setBuddy(self.povertyStatusCombo)
        self.insuranceLabel.setBuddy(self.insuranceCombo)
        self.insuranceNoLabel.setBuddy(self.insuranceNoEdit)
        self.disabilityLabel.setBuddy(self.disabilityCombo)
        self.disabilityGradeLabel.setBuddy(self.disabilityGradeEdit)
        self.batchLabel.setBuddy(self.batchCombo)
        self.notesLabel.setBuddy(self.notesEdit)
#endif // QT_CONFIG(shortcut)
        QWidget.setTabOrder(self.nameEdit, self.idEdit)
        QWidget.setTabOrder(self.idEdit, self.sexCombo)
        QWidget.setTabOrder(self.sexCombo, self.birthEdit)
        QWidget.setTabOrder(self.birthEdit, self.phoneEdit)
        QWidget.setTabOrder(self.phoneEdit, self.ethnicityEdit)
        QWidget.setTabOrder(self.ethnicityEdit, self.categoryCombo)
        QWidget.setTabOrder(self.categoryCombo, self.povertyStatusCombo)
        QWidget.setTabOrder(self.povertyStatusCombo, self.insuranceCombo)
        QWidget.setTabOrder(self.insuranceCombo, self.insuranceNoEdit)
        QWidget.setTabOrder(self.insuranceNoEdit, self.disabilityCombo)
        QWidget.setTabOrder(self.disabilityCombo, self.disabilityGradeEdit)
        QWidget.setTabOrder(self.disabilityGradeEdit, self.batchCombo)
        QWidget.setTabOrder(self.batchCombo, self.notesEdit)
        QWidget.setTabOrder(self.notesEdit, self.saveButton)
        QWidget.setTabOrder(self.saveButton, self.revertButton)

        self.retranslateUi(ResidentForm)

        self.saveButton.setDefault(True)


        QMetaObject.connectSlotsByName(ResidentForm)
    # setupUi

    def retranslateUi(self, ResidentForm):
        self.nameLabel.setText(QCoreApplication.translate("ResidentForm", u"\u59d3\u540d(&N)", None))
        self.idLabel.setText(QCoreApplication.translate("ResidentForm", u"\u8eab\u4efd\u8bc1\u53f7(&I)", None))
        self.sexLabel.setText(QCoreApplication.translate("ResidentForm", u"\u6027\u522b", None))
        self.birthLabel.setText(QCoreApplication.translate("ResidentForm", u"\u51fa\u751f\u65e5\u671f", None))
        self.birthEdit.setPlaceholderText(QCoreApplication.translate("ResidentForm", u"\u6ca1\u6709\u8eab\u4efd\u8bc1\u53f7\u65f6\u586b\u5199\uff0c\u5982 2024-03-15", None))
        self.phoneLabel.setText(QCoreApplication.translate("ResidentForm", u"\u7535\u8bdd(&P)", None))
        self.ethnicityLabel.setText(QCoreApplication.translate("ResidentForm", u"\u6c11\u65cf", None))
        self.categoryLabel.setText(QCoreApplication.translate("ResidentForm", u"\u4eba\u5458\u7c7b\u522b(&C)", None))
        self.povertyStatusLabel.setText(QCoreApplication.translate("ResidentForm", u"\u8131\u8d2b\u72b6\u6001", None))
        self.insuranceLabel.setText(QCoreApplication.translate("ResidentForm", u"\u533b\u4fdd\u7c7b\u578b", None))
        self.insuranceNoLabel.setText(QCoreApplication.translate("ResidentForm", u"\u533b\u4fdd\u53f7", None))
        self.disabilityLabel.setText(QCoreApplication.translate("ResidentForm", u"\u6b8b\u75be\u7c7b\u522b", None))
        self.disabilityGradeLabel.setText(QCoreApplication.translate("ResidentForm", u"\u6b8b\u75be\u7b49\u7ea7", None))
        self.batchLabel.setText(QCoreApplication.translate("ResidentForm", u"\u4e09\u4e2a\u4e00\u6279", None))
        self.notesLabel.setText(QCoreApplication.translate("ResidentForm", u"\u5907\u6ce8", None))
        self.revertButton.setText(QCoreApplication.translate("ResidentForm", u"\u64a4\u9500\u4fee\u6539", None))
        self.saveButton.setText(QCoreApplication.translate("ResidentForm", u"\u4fdd\u5b58(&S)", None))
        pass
    # retranslateUi

